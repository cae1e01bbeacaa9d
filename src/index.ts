export { Mp4ForgeError, isMp4ForgeError } from './errors.js';
export type { Mp4ForgeErrorCode, Mp4ForgeErrorDetails } from './errors.js';
