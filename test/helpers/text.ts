/** The full-width (U+FF01…U+FF5E) look-alike of every printable ASCII character: NFKC folds them back. */
export const toFullWidth = (s: string): string =>
  [...s].map((c) => (/[!-~]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('');
