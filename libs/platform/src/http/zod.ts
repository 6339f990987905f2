import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { Problem, zodIssuesToFieldErrors } from './problem';

/** Validates a body, query or parameter against its contract schema; a failure names each bad field. */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly where: 'body' | 'query' | 'parameter' = 'body',
  ) {}

  transform(value: unknown): z.infer<S> {
    if (this.where === 'body' && (value === undefined || value === null)) {
      throw Problem.validation([{ pointer: '', detail: 'a JSON body is required' }]);
    }
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw Problem.validation(zodIssuesToFieldErrors(result.error), `The ${this.where} is not valid.`);
    }
    return result.data;
  }
}
