// The reviewer's page.
import { startPage } from './ui.js';

await startPage({ roles: ['reviewer', 'admin'], title: 'Review' });
