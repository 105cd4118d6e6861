/** What headroom needs from a model server, and the shapes it gets back. */

/** text or vision; unknown when /api/show could not be read. */
export type ModelKind = 'text' | 'vision' | 'unknown';

/** One entry of /api/ps. */
export interface LoadedModel {
  name: string;
  /** Bytes in RAM and VRAM (on Apple Silicon both are the same pool). */
  sizeBytes: number;
  vramBytes: number;
  /** When Ollama will unload it on its own (ms since the epoch); null when unparsable. */
  expiresAt: number | null;
  contextLength: number | null;
  digest: string;
  family: string | null;
  families: string[];
}

/** What /api/show says that headroom uses. */
export interface ModelDetails {
  capabilities: string[];
  kind: Exclude<ModelKind, 'unknown'>;
  family: string | null;
  parameterSize: string | null;
  /** The digests of the blobs its modelfile loads (FROM lines): how a runner process is matched to it. */
  blobDigests: string[];
}

/** One entry of /api/tags: a model on disk. */
export interface InstalledModel {
  name: string;
  /** Its files' size on disk: what a runner loads. */
  sizeBytes: number;
  digest: string;
}

/** Why a call failed: nobody listening, too slow, an HTTP error, or a body we cannot use. */
export type OllamaFailureKind = 'unreachable' | 'timeout' | 'http' | 'bad-response';

/** A failed call; the message says which endpoint and why. */
export class OllamaError extends Error {
  override name = 'OllamaError';
  constructor(
    readonly kind: OllamaFailureKind,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The calls the guard makes; the HTTP client and the simulator's Ollama both provide them. */
export interface OllamaApi {
  /** The server's version, e.g. "0.32.15". */
  version(): Promise<string>;
  /** Models in memory (/api/ps). */
  listLoaded(): Promise<LoadedModel[]>;
  /** Model details (/api/show). */
  show(model: string): Promise<ModelDetails>;
  /** Models on disk (/api/tags). */
  installed(): Promise<InstalledModel[]>;
  /** Asks Ollama to unload the model (keep_alive 0); returns when Ollama has accepted. */
  unload(model: string): Promise<void>;
}
