/** Process entry for `npm start`: the same as `ferrydb start` with the given flags. */
import { main } from './cli/main.js';

await main(['start', ...process.argv.slice(2)]);
