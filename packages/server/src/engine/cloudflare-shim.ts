// What `cloudflare:workers` and `cloudflare:workflows` resolve to in workflow modules loaded by
// `--workflows DIR`, so code written for Cloudflare Workflows loads unchanged.
export { WorkflowEntrypoint, NonRetryableError } from '@petrel/engine';
