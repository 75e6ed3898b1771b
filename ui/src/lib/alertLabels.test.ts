import { describe, expect, it } from 'vitest';
import { anAlert } from '../test-data.ts';
import { alertLabels, isEnergyAlert, isSilentNow } from './alertLabels.ts';

describe('alert labels', () => {
  it('names every kind, silent without an energy figure', () => {
    expect(alertLabels('exceeded').badge).toBe('Over limit');
    expect(alertLabels('projected').badge).toBe('Projected over');
    expect(alertLabels('silent')).toMatchObject({ badge: 'Silent', title: 'No readings' });
    expect(isEnergyAlert('silent')).toBe(false);
    expect(isEnergyAlert('exceeded')).toBe(true);
  });
});

describe('isSilentNow', () => {
  const silent = anAlert({ kind: 'silent', createdAt: '2026-03-10T10:06:00Z' });
  it('is silent with an open silent alert and no reading seen since', () => {
    expect(isSilentNow([silent], undefined)).toBe(true);
    expect(isSilentNow([silent], '2026-03-10T10:00:00Z')).toBe(true);
  });
  it('is not silent once a reading came after the alert, nor for other kinds', () => {
    expect(isSilentNow([silent], '2026-03-10T10:07:00Z')).toBe(false);
    expect(isSilentNow([anAlert({ kind: 'exceeded' })], undefined)).toBe(false);
    expect(isSilentNow([], undefined)).toBe(false);
  });
});
