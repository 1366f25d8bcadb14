// Build-only stand-in for @petrel/server's types (tsconfig.build.json maps the name here), so that
// emitting the SDK does not compile the server. The repo's type-check uses the real package and
// checks it against LocalServerModule, which is what this declares.
import type { LocalServerModule } from '../src/local-server.ts';

export declare const loadServerConfig: LocalServerModule['loadServerConfig'];
export declare const startServer: LocalServerModule['startServer'];
export declare const createApiKey: LocalServerModule['createApiKey'];
export declare const revokeApiKey: LocalServerModule['revokeApiKey'];
