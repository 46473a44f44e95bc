export { ConfigError, isRetriable, SluiceError } from './errors.js';
export { ProtocolDecodeError } from './protocol/reader.js';
