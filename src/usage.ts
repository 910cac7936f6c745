/** `node dist/main.js --help`. test/ops-command-line.test.ts checks it names every setting in .env.example. */
export const SERVER_USAGE = `Usage: node dist/main.js [--help | --version]

Starts parley's HTTP and WebSocket server. Everything else is configured by environment variables,
or a .env file in the working directory; .env.example lists each one with its default and meaning.

  Server      PORT (8000), HOST (0.0.0.0), TRUST_PROXY (0), CORS_ORIGINS
  Storage     DATA_DIR (./data); MongoDB instead: MONGO_URL, or MONGO_HOST, MONGO_PORT (27017),
              MONGO_USER, MONGO_PASS; MONGO_DB (parley)
  Tokens      SECRET_KEY (generated into DATA_DIR), ALGORITHM (HS256), TOKEN_LIFETIME (15 min),
              REFRESH_TOKEN_LIFETIME (10080 min)
  Privacy     PRIVACY_KEY (generated into DATA_DIR): wraps the per-user data keys (docs/privacy.md)
  Limits      RATE_LIMIT_LOGIN_ACCOUNT (10), RATE_LIMIT_LOGIN_IP (50), RATE_LIMIT_REGISTER_IP (20),
              RATE_LIMIT_REFRESH_IP (60), RATE_LIMIT_EXPORT_USER (5 an hour), WS_RATE_LIMIT (20),
              WS_RATE_BURST (40)
  Operations  LOG_LEVEL (info), LOG_FORMAT (auto: pretty in a terminal, json otherwise), METRICS_TOKEN,
              UV_THREADPOOL_SIZE (4 + half the cores, at least 6: libuv threads, half the cores'
              worth, at least 2, for password hashing)

Operator tools (rebuild, projections, events, privacy): parley help.`;
