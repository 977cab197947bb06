import { segmentationFields } from './events';

test('PAYMENT_SEGMENTATION_FIELDS: a JSON object of custom field → fact; anything else stops the cold start naming the variable', () => {
  expect(segmentationFields(undefined)).toBeUndefined();
  expect(segmentationFields('{"ultimaCompra":"paidAt","monto":"amount"}')).toEqual({ ultimaCompra: 'paidAt', monto: 'amount' });
  for (const bad of ['{', '[]', 'null', '{"monto":"price"}', '{"1monto":"amount"}']) expect(() => segmentationFields(bad)).toThrow(/^Environment variable PAYMENT_SEGMENTATION_FIELDS /);
});
