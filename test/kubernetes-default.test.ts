import { loadConfig } from '../src/config/index.ts';
import { apiServerSuite } from './kubernetes-suite.ts';

apiServerSuite('defaults', loadConfig({ env: {} }));
