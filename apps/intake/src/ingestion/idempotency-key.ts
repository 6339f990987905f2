import { ApiHeader } from '@nestjs/swagger';

/**
 * The Idempotency-Key header as every ingest route takes it, documented with the rule IngestService
 * checks: 1 to 255 visible ASCII characters.
 */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'the same key and body within 24 h get the first answer; another body gets 422',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
  });
