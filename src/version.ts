import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The package's version, from the package.json beside dist/ (the image copies it too). */
export const VERSION: string = (
  JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
