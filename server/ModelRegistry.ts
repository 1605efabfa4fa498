/**
 * The models this server serves, by the name clients send as `model`. A request naming no model gets
 * the default (first) one, as llama-server and vLLM do; an unknown name is a 404; before the model has
 * loaded every lookup is a 503, so the server can listen (and answer /health) while loading.
 */
import {EngineError} from "../engine/errors.ts";
import type {ServedModel} from "../engine/ServedModel.ts";
import {ApiError} from "./errors.ts";

export class ModelRegistry implements AsyncDisposable {
  private readonly models = new Map<string, ServedModel>();
  private loadingReason: string | null = "the model is loading";

  /** Why the server is not ready, or null once every model is registered. */
  get notReadyReason(): string | null {
    return this.loadingReason;
  }

  add(model: ServedModel): void {
    this.models.set(model.name, model);
  }

  markReady(): void {
    this.loadingReason = null;
  }

  list(): readonly ServedModel[] {
    return [...this.models.values()];
  }

  /** The model a request asked for; throws the matching client error otherwise. */
  resolve(name: string | null | undefined): ServedModel {
    if (this.loadingReason !== null) throw new EngineError("not_ready", this.loadingReason);
    if (name == null) return this.list()[0]!;
    const model = this.models.get(name);
    if (!model) {
      throw new ApiError(404, `The model '${name}' does not exist. Available: ${[...this.models.keys()].join(", ")}`,
        "invalid_request_error", "model", "model_not_found");
    }
    return model;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.loadingReason = "the server is shutting down";
    for (const model of this.models.values()) await model[Symbol.asyncDispose]();
    this.models.clear();
  }
}
