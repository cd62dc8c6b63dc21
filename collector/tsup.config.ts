import { packageConfig } from '../tsup.base';

export default packageConfig(['src/index.ts', 'src/main.ts', 'src/cli/index.ts']);
