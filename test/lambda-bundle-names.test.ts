import { checkClassNames } from '../lib/constructs/lambda-bundles';

test('a bundle that renames a class whose name is compared at run time is refused, naming it; other renames pass', () => {
  expect(() => checkClassNames('payments/api', 'var QueryCommand2 = class extends Command {}; var ScanCommand2 = class {};')).not.toThrow();
  expect(() => checkClassNames('payments/api', 'var ConditionalCheckFailedException2 = class extends ServiceException {};')).toThrow(
    'lambda/payments/api: the bundle renames ConditionalCheckFailedException2, whose name is compared at run time',
  );
  expect(() => checkClassNames('customer-sync/worker', 'class BatchProcessor2 extends BasePartialBatchProcessor {}')).toThrow(/renames BatchProcessor2/);
});
