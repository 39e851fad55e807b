// The annotator's page.
import { startPage } from './ui.js';

await startPage({ roles: ['annotator', 'admin'], title: 'Annotate' });
