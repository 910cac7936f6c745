/** Where the chat lives, for both edges: the HTTP edge serves the page and refuses plain GETs of the socket's path. */

/** The path the chat socket is served on. */
export const WS_PATH = '/messenger/ws';
/** The chat page and its files. */
export const PAGE_PREFIX = '/messenger/';
