/**
 * Socket.IO room names, in one place: every user has `user:<id>`,
 * administrators also join `admins`, and a socket that signed in with a
 * personal access token also joins `token:<id>`, one with a login token
 * `session:<id>` (so revoking the token or ending the session closes exactly
 * its sockets). Whatever concerns a device goes to its owner and
 * to the admins.
 */
export const ADMINS_ROOM = 'admins';

export const userRoom = (userId: string) => `user:${userId}`;

export const tokenRoom = (tokenId: string) => `token:${tokenId}`;

/** A login session's sockets (`jti` of its login token): signing out ends exactly them. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/** The rooms of a device's owner (if any) and the administrators. */
export const ownerRooms = (ownerId: string | null): string[] =>
  ownerId ? [userRoom(ownerId), ADMINS_ROOM] : [ADMINS_ROOM];
