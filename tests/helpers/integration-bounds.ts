/**
 * Integration files run two at a time beside the browser tests, for many minutes: the load when the
 * run began (which vitest.config.ts's defaults were grown with) says little about the load when a
 * later file starts. So each file's default test and hook bounds grow with the load as the file
 * starts, as tests/helpers/e2e.ts does for the browser files. Like every bound, they end failing waits only.
 */
import { vi } from 'vitest';
import { INTEGRATION_BOUNDS, scaled } from './patience';

vi.setConfig({ testTimeout: scaled(INTEGRATION_BOUNDS.testMs), hookTimeout: scaled(INTEGRATION_BOUNDS.hookMs) });
