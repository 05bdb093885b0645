// The CDK app (cdk.json "app"): run through tsx, no build step. Configuration: the `chainsig` context.
import { OperatorConfigError } from '../lib/config.js';
import { createOperatorApp } from '../lib/operator-app.js';

try {
  createOperatorApp().app.synth();
} catch (error) {
  if (!(error instanceof OperatorConfigError)) throw error;
  // A configuration mistake is the operator's to fix: print the list, not a stack trace.
  console.error(error.message);
  process.exitCode = 1;
}
