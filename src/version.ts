/** This package's name and version (checked against package.json by a spec). */
export const PACKAGE_NAME = 'codex-rx';
export const PACKAGE_VERSION = '0.1.0';
