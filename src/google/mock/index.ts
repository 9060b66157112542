export { startMockGoogle, type StandaloneMockGoogle } from './server.js';
