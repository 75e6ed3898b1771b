/**
 * Socket.IO room names, in one place: every user has `user:<id>`,
 * administrators also join `admins`. Whatever concerns a device goes to its
 * owner and to the admins.
 */
export const ADMINS_ROOM = 'admins';

export const userRoom = (userId: string) => `user:${userId}`;

/** The rooms of a device's owner (if any) and the administrators. */
export const ownerRooms = (ownerId: string | null): string[] =>
  ownerId ? [userRoom(ownerId), ADMINS_ROOM] : [ADMINS_ROOM];
