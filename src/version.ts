// The package version. A literal, so that the portable core (which records it in every checkpoint it writes)
// needs no file system; test/portable.test.ts keeps it equal to package.json's.
export const VERSION = '0.1.0';
