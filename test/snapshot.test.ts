import { ENVIRONMENTS, environmentJson } from './support/assembly';

// One snapshot per environment, every stack: a reviewer sees each template change in the diff. Asset hashes are
// normalised by test/support/asset-hash-serializer.js, so only real template changes show.
test.each(ENVIRONMENTS)('%s environment matches its snapshot', (environment) => {
  expect(environmentJson(environment)).toMatchSnapshot();
});
