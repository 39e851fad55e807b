// The analyst's page.
import { startPage } from './ui.js';

await startPage({ roles: ['analyst', 'admin'], title: 'Tasks' });
