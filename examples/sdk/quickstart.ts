import { Petrel } from '@petrel/sdk';

const petrel = new Petrel({ apiKey: process.env.PETREL_API_KEY!, baseUrl: process.env.PETREL_URL ?? 'http://127.0.0.1:8000' });
const run = await petrel.runTask({
  prompt: 'Open the sign-in page and tell me the name of the site.',
  url: process.env.TASK_URL ?? 'https://example.com',
  dataExtractionSchema: { type: 'object', properties: { site_name: { type: 'string' } } },
  waitForCompletion: true,
});
console.log(run.status, JSON.stringify(run.output ?? run.failureReason));
