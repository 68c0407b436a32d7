/**
 * Client-side ("dynamic") tools: functions of this process that the model can call. They are an
 * experimental part of the app-server protocol (`ClientOptions.experimentalApi` must be on).
 */
import type { Observable } from 'rxjs';
import type { DynamicToolCallOutputContentItem } from './protocol/generated/v2/DynamicToolCallOutputContentItem';
import type { DynamicToolCallResponse } from './protocol/generated/v2/DynamicToolCallResponse';
import type { JsonValue } from './protocol/generated/serde_json/JsonValue';

/**
 * The Standard Schema v1 interface (https://standardschema.dev), which zod, valibot, arktype and
 * others implement: declared here so that codex-rx depends on none of them.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The spec's entry point: the schema's `validate` and its vendor, under the key every Standard Schema library uses. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** The parts of the Standard Schema v1 interface. */
// eslint-disable-next-line @typescript-eslint/no-namespace -- the spec's own shape (`StandardSchemaV1.Issue`, ...)
export declare namespace StandardSchemaV1 {
  /** What a Standard Schema carries under `~standard`. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version of the Standard Schema spec. */
    readonly version: 1;
    /** The library that made the schema (`zod`, `valibot`, ...). */
    readonly vendor: string;
    /** Checks a value: its (possibly transformed) value, or its issues. */
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    /** The input and output types, for inference only. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** A validation's outcome: the (possibly transformed) value, or the issues. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** The value passed validation. */
  export interface SuccessResult<Output> {
    /** The validated value. */
    readonly value: Output;
    /** Absent on success. */
    readonly issues?: undefined;
  }
  /** The value failed validation. */
  export interface FailureResult {
    /** What is wrong with the value. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem with the value. */
  export interface Issue {
    /** What is wrong, for a person (and here: for the model). */
    readonly message: string;
    /** Where in the value. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path segment that is an object. */
  export interface PathSegment {
    /** The key it stands for. */
    readonly key: PropertyKey;
  }
  /** The schema's input and output types, for inference only. */
  export interface Types<Input = unknown, Output = Input> {
    /** The type the schema accepts. */
    readonly input: Input;
    /** The type it gives. */
    readonly output: Output;
  }
  /** The output type of a Standard Schema. */
  export type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];
}

/** What a tool call knows about itself; `signal` aborts when the turn is interrupted or cancelled, or the client closes. */
export interface ToolContext {
  /** The thread whose model called the tool. */
  readonly threadId: string;
  /** The turn the call belongs to. */
  readonly turnId: string;
  /** The model's id of this call. */
  readonly callId: string;
  /** Aborts when the call's answer is no longer wanted: stop the work and let go of its resources. */
  readonly signal: AbortSignal;
}

/** A content item of a tool's answer: text (`inputText`), an image or audio URL. */
export type ToolContentItem = DynamicToolCallOutputContentItem;

/**
 * What a tool's `execute` gives the model: a string (one text item), content items, or the whole
 * answer (`{ contentItems, success }`, where `success: false` tells the model the call failed).
 */
export type ToolOutput = string | readonly ToolContentItem[] | DynamicToolCallResponse;

/** A tool's output as a value, a Promise or an Observable (its first value counts). */
export type ToolReturn = ToolOutput | PromiseLike<ToolOutput> | Observable<ToolOutput>;

/**
 * A client-side tool: the model sees `name`, `description` and the JSON Schema `inputSchema`;
 * when it calls the tool, `execute` runs here with the call's arguments. A tool that throws,
 * rejects or errors answers `success: false` with the error's message, and the turn goes on.
 * With `validator` (any Standard Schema v1 object: zod, valibot, arktype, ...) arguments it rejects
 * are answered `success: false` with its issues, and `execute` gets the validated value.
 */
export interface ToolDefinition<Args = JsonValue> {
  /** The function name the model calls. */
  readonly name: string;
  /** Groups tools under a namespace (the protocol's `namespace` tool spec); calls carry it. */
  readonly namespace?: string;
  /** What the tool does, for the model. */
  readonly description: string;
  /** The arguments' JSON Schema, as the model sees it. */
  readonly inputSchema: JsonValue;
  /** Checks (and may transform) the arguments before `execute`. */
  readonly validator?: StandardSchemaV1<unknown, Args>;
  /** Runs the call. */
  execute(args: Args, ctx: ToolContext): ToolReturn;
}

/**
 * A tool with its argument type inferred from its validator (or given explicitly), for
 * `ThreadConfig.tools`. Identity at runtime.
 */
export function defineTool<Args = JsonValue>(tool: ToolDefinition<Args>): ToolDefinition<Args> {
  return tool;
}
