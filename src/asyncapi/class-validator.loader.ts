/** The part of class-validator's metadata storage the schema reader uses. */
export interface ClassValidatorStorage {
  getTargetValidationMetadatas(
    target: Function,
    schema: string,
    always: boolean,
    strictGroups: boolean,
  ): ClassValidatorMetadata[];
}

/** One validation decorator on one property (class-validator's `ValidationMetadata`). */
export interface ClassValidatorMetadata {
  type: string;
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
}

let loaded: Promise<ClassValidatorStorage | undefined> | undefined;

/**
 * class-validator's metadata storage, loaded on first use; `undefined` when the package is not
 * installed (it is optional: schemas then come from `@nestjs/swagger` metadata and property types).
 */
export function loadClassValidator(): Promise<ClassValidatorStorage | undefined> {
  loaded ??= import('class-validator').then(
    (module: {
      getMetadataStorage?: () => unknown;
      default?: { getMetadataStorage?: () => unknown };
    }) => {
      // CommonJS: the named export may sit on `default` only, depending on the loader.
      const get = module.getMetadataStorage ?? module.default?.getMetadataStorage;
      return typeof get === 'function' ? (get() as ClassValidatorStorage) : undefined;
    },
    () => undefined,
  );
  return loaded;
}
