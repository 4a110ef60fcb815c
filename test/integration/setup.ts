// Integration tests wait on real controllers: give each test two minutes.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
