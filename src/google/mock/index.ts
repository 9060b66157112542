export { startMockGoogle, MOCK_TEST_CLIENT_ID, MOCK_TEST_CLIENT_SECRET, type StandaloneMockGoogle } from './server.js';
export type { MockGoogleControl, MockFailure } from './control.js';
export { MOCK_PATHS, mockEndpoints, type MockEndpoint, type MockEndpointUrls } from './endpoints.js';
