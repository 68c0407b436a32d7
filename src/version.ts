/** This package's name and version (checked against package.json by a spec). */
export const PACKAGE_NAME = 'codex-rx';
/** This package's version, as `initialize` sends it in the default `clientInfo`. */
export const PACKAGE_VERSION = '0.1.0';
