import type { ContactMethod, PersonView, RosterRole, TeamView } from '@vigil/contracts';

export interface PersonRow {
  id: string;
  name: string;
  subject: string | null;
  email: string | null;
  time_zone: string;
  roles: RosterRole[];
  contact_methods: ContactMethod[];
  active: boolean;
  feed_token_hash: string | null;
  created_at: Date;
  updated_at: Date;
}

export function toPersonView(r: PersonRow): PersonView {
  return {
    personId: r.id,
    name: r.name,
    subject: r.subject,
    email: r.email,
    timeZone: r.time_zone,
    roles: r.roles,
    contactMethods: r.contact_methods,
    active: r.active,
    hasFeedToken: r.feed_token_hash !== null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export interface TeamRow {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  members: Array<{ personId: string; name: string }> | null;
}

export const TEAM_SELECT = `SELECT t.*, (SELECT coalesce(json_agg(json_build_object('personId', p.id, 'name', p.name) ORDER BY p.name), '[]'::json)
    FROM tasking.team_members m JOIN tasking.people p ON p.id = m.person_id WHERE m.team_id = t.id) AS members
  FROM tasking.teams t`;

export function toTeamView(r: TeamRow): TeamView {
  return { teamId: r.id, name: r.name, description: r.description, members: r.members ?? [], createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
}

