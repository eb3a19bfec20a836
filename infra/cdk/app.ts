import { createServiceApp } from './service-app.js';

/** `cdk synth` / `cdk deploy` entry (cdk.json). Settings come from context: see docs/deploy.md. */
createServiceApp().app.synth();
