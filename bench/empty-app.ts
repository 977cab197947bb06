/** The floor of the synth benchmark: CDK CLI + tsx + aws-cdk-lib with one empty Stack and nothing else. */
import { App, Stack } from 'aws-cdk-lib';

const app = new App();
new Stack(app, 'Empty');
app.synth();
