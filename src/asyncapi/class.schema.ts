import type { ClassValidatorMetadata, ClassValidatorStorage } from './class-validator.loader.js';

/** A JSON Schema (draft 07, the AsyncAPI schema format) as plain data. */
export type JsonSchema = Record<string, unknown>;

type Constructor = abstract new (...args: never[]) => object;

// @nestjs/swagger's metadata keys (`@ApiProperty`), read with Reflect: no import of the package.
const SWAGGER_PROPERTIES = 'swagger/apiModelPropertiesArray';
const SWAGGER_PROPERTY = 'swagger/apiModelProperties';

/** What a property's `@ApiProperty` stores (the fields the schema uses). */
interface SwaggerProperty {
  type?: unknown;
  isArray?: boolean;
  required?: boolean;
  description?: string;
  example?: unknown;
  enum?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
}

/**
 * Turns DTO classes into JSON Schemas: class-validator's decorators when it is installed, then
 * `@nestjs/swagger`'s `@ApiProperty`, then the emitted `design:type`. Each class is described
 * once, in `schemas` (the document's `components.schemas`), and referred to by `$ref`.
 */
export class KwsClassSchemas {
  /** The described classes, by their (unique) component name. */
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly names = new Map<Function, string>();

  constructor(private readonly validator: ClassValidatorStorage | undefined) {}

  /** The schema of a value whose runtime type is `type`; undefined when it says nothing. */
  ofType(type: unknown): JsonSchema | undefined {
    switch (type) {
      case String:
        return { type: 'string' };
      case Number:
        return { type: 'number' };
      case Boolean:
        return { type: 'boolean' };
      case Array:
        return { type: 'array' };
      case Date:
        return { type: 'string', format: 'date-time' };
      case undefined:
      case null:
      case Object:
      case Promise:
      case Function:
      case Map:
      case Set:
        return undefined;
    }
    if (typeof type !== 'function' || !type.prototype) return undefined;
    return this.ofClass(type as Constructor);
  }

  /** A `$ref` to the class's schema, described on first use. */
  ofClass(type: Constructor): JsonSchema {
    let name = this.names.get(type);
    if (!name) {
      name = this.uniqueName(type.name || 'Anonymous');
      this.names.set(type, name);
      // Set before describing: a class that refers to itself gets a `$ref` to this entry.
      this.schemas[name] = {};
      this.schemas[name] = this.describe(type);
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  private describe(type: Constructor): JsonSchema {
    const prototype = type.prototype as object;
    const validations = this.validations(type);
    const swagger = swaggerProperties(prototype);
    const names = new Set([...validations.keys(), ...swagger.keys()]);
    if (names.size === 0) {
      return {
        type: 'object',
        description: `${type.name}: no class-validator or @nestjs/swagger metadata describes its fields.`,
      };
    }
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const name of names) {
      const schema: JsonSchema = {
        ...this.ofType(Reflect.getMetadata('design:type', prototype, name)),
      };
      let optional = false;
      for (const meta of validations.get(name) ?? []) {
        if (meta.type === 'conditionalValidation' && meta.name === 'isOptional') optional = true;
        else if (meta.type === 'nestedValidation' && meta.each) schema.type = 'array';
        else applyValidation(meta.each ? itemsOf(schema) : schema, meta);
      }
      const api = swagger.get(name);
      if (api) {
        Object.assign(schema, this.fromSwagger(api));
        if (api.required === false) optional = true;
      }
      properties[name] = schema;
      if (!optional) required.push(name);
    }
    return { type: 'object', properties, ...(required.length ? { required } : {}) };
  }

  private validations(type: Constructor): Map<string, ClassValidatorMetadata[]> {
    const byProperty = new Map<string, ClassValidatorMetadata[]>();
    const metas = this.validator?.getTargetValidationMetadatas(type, '', false, false) ?? [];
    for (const meta of metas) {
      const list = byProperty.get(meta.propertyName) ?? [];
      list.push(meta);
      byProperty.set(meta.propertyName, list);
    }
    return byProperty;
  }

  private fromSwagger(api: SwaggerProperty): JsonSchema {
    const schema: JsonSchema = {};
    const typed =
      typeof api.type === 'string'
        ? { type: api.type }
        : Array.isArray(api.type)
          ? { type: 'array', items: this.ofType(api.type[0]) ?? {} }
          : this.ofType(api.type);
    if (typed) Object.assign(schema, api.isArray ? { type: 'array', items: typed } : typed);
    if (Array.isArray(api.enum)) setEnum(schema, api.enum);
    else if (api.enum && typeof api.enum === 'object') setEnum(schema, enumValues(api.enum));
    if (api.example !== undefined) schema.examples = [api.example];
    const copied = [
      'description',
      'default',
      'format',
      'pattern',
      'minimum',
      'maximum',
      'minLength',
      'maxLength',
      'minItems',
      'maxItems',
    ] as const;
    for (const key of copied) if (api[key] !== undefined) schema[key] = api[key];
    return schema;
  }

  private uniqueName(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    let candidate = base;
    for (let i = 2; candidate in this.schemas; i++) candidate = `${base}_${i}`;
    return candidate;
  }
}

/** The `@ApiProperty` metadata of each property of a prototype (and its parents). */
function swaggerProperties(prototype: object): Map<string, SwaggerProperty> {
  const found = new Map<string, SwaggerProperty>();
  const keys = (Reflect.getMetadata(SWAGGER_PROPERTIES, prototype) as unknown[] | undefined) ?? [];
  for (const key of keys) {
    if (typeof key !== 'string') continue;
    const name = key.startsWith(':') ? key.slice(1) : key;
    const meta = Reflect.getMetadata(SWAGGER_PROPERTY, prototype, name) as
      SwaggerProperty | undefined;
    found.set(name, meta ?? {});
  }
  return found;
}

function itemsOf(schema: JsonSchema): JsonSchema {
  schema.type = 'array';
  schema.items ??= {};
  return schema.items as JsonSchema;
}

/** A TypeScript enum's values (a numeric enum's reverse-mapping keys left out). */
function enumValues(enumObject: object): unknown[] {
  return Object.entries(enumObject)
    .filter(([key]) => Number.isNaN(Number(key)))
    .map(([, value]) => value);
}

/** `enum`, with the `type` its values share (a string enum is a string). */
function setEnum(schema: JsonSchema, values: unknown[]): void {
  schema.enum = values;
  const types = new Set(values.map((value) => typeof value));
  if (types.size === 1 && (types.has('string') || types.has('number'))) {
    schema.type = [...types][0];
  }
}

/** class-validator's decorators that say something a JSON Schema can say; the others add nothing. */
function applyValidation(schema: JsonSchema, meta: ClassValidatorMetadata): void {
  const [first, second] = meta.constraints ?? [];
  switch (meta.name ?? meta.type) {
    case 'isString':
      schema.type = 'string';
      break;
    case 'isNumber':
      schema.type = 'number';
      break;
    case 'isInt':
      schema.type = 'integer';
      break;
    case 'isBoolean':
      schema.type = 'boolean';
      break;
    case 'isArray':
      schema.type = 'array';
      break;
    case 'isObject':
      schema.type = 'object';
      break;
    case 'isNotEmptyObject':
      schema.type = 'object';
      schema.minProperties = 1;
      break;
    case 'isEnum':
      if (first && typeof first === 'object') setEnum(schema, enumValues(first));
      break;
    case 'isIn':
      if (Array.isArray(first)) setEnum(schema, first);
      break;
    case 'equals':
      schema.const = first;
      break;
    case 'isNotEmpty':
      schema.minLength = Math.max(1, Number(schema.minLength ?? 0));
      break;
    case 'minLength':
      schema.minLength = first;
      break;
    case 'maxLength':
      schema.maxLength = first;
      break;
    case 'length':
      schema.minLength = first;
      if (typeof second === 'number') schema.maxLength = second;
      break;
    case 'min':
      schema.minimum = first;
      break;
    case 'max':
      schema.maximum = first;
      break;
    case 'isPositive':
      schema.exclusiveMinimum = 0;
      break;
    case 'isNegative':
      schema.exclusiveMaximum = 0;
      break;
    case 'arrayMinSize':
      schema.minItems = first;
      break;
    case 'arrayMaxSize':
      schema.maxItems = first;
      break;
    case 'arrayNotEmpty':
      schema.minItems = Math.max(1, Number(schema.minItems ?? 0));
      break;
    case 'arrayUnique':
      schema.uniqueItems = true;
      break;
    case 'matches':
      if (first instanceof RegExp) schema.pattern = first.source;
      else if (typeof first === 'string') schema.pattern = first;
      break;
    case 'isEmail':
      schema.format = 'email';
      break;
    case 'isUrl':
      schema.format = 'uri';
      break;
    case 'isUUID':
      schema.format = 'uuid';
      break;
    case 'isDateString':
    case 'isIso8601':
    case 'isISO8601':
      schema.format = 'date-time';
      break;
  }
}
