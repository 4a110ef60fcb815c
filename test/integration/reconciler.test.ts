/** The reconciler's scenarios, with the operator running as cluster admin. */
import { reconcilerScenarios } from '../support/reconciler-scenarios.ts';
import { startOperator } from '../support/operator.ts';

reconcilerScenarios(() => startOperator());
