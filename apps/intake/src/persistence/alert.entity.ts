import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An alert as intake accepted it: the canonical form plus when it arrived. */
@Entity({ name: 'alerts' })
export class AlertRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'dedup_key' })
  dedupKey!: string;

  @Column('text')
  source!: string;

  @Column('text')
  title!: string;

  @Column('text')
  severity!: string;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @Column('boolean', { name: 'occurred_at_from_source' })
  occurredAtFromSource!: boolean;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt!: Date;

  @Column('boolean')
  exercise!: boolean;

  @Column('jsonb')
  payload!: object;
}
