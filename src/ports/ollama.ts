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
  /** Its capabilities when /api/tags lists them (newer servers); null when it does not. */
  capabilities: string[] | null;
}

/** A known-answer request: one prompt, not streamed. */
export interface GenerateRequest {
  model: string;
  prompt: string;
  /** false asks a thinking model not to think; omitted when undefined (older servers lack the field). */
  think?: boolean;
  /** A Go duration or seconds; omitted when undefined (the server's OLLAMA_KEEP_ALIVE applies). */
  keepAlive?: string | number;
  /** options.num_ctx; omitted when undefined. */
  numCtx?: number;
  /** This call's timeout, in place of the client's. */
  timeoutMs?: number;
  /** Cancels the call (daemon shutdown). */
  signal?: AbortSignal;
}

/** The final answer of a non-streamed /api/generate. */
export interface GenerateResult {
  response: string;
  /** The reasoning a thinking model returned beside the answer (Ollama ≥ 0.9), or null. */
  thinking: string | null;
  doneReason: string | null;
  /** Generated tokens and the time spent generating them, when Ollama reports them. */
  evalCount: number | null;
  evalDurationNs: number | null;
  loadDurationNs: number | null;
  totalDurationNs: number | null;
}

/** Why a call failed: nobody listening, too slow, an HTTP error, a body we cannot use, or canceled by headroom. */
export type OllamaFailureKind = 'unreachable' | 'timeout' | 'http' | 'bad-response' | 'canceled';

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

/** The calls a smoke probe makes: what is loaded and installed, model details, and a generation. */
export interface ProbeApi extends Pick<OllamaApi, 'listLoaded' | 'show' | 'installed'> {
  /** The server's address, for messages. */
  readonly baseUrl: string;
  /** One non-streamed /api/generate. */
  generate(request: GenerateRequest): Promise<GenerateResult>;
}
