// Helpers for binary messages: a checksum to compare what went out with what came back,
// image sniffing, and a doodle to send when no picture is at hand.

/** FNV-1a, 32 bits, as 8 hex digits. @param {Uint8Array} bytes */
export function checksum(bytes) {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

const SIGNATURES = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
];

/** The image type the bytes start with, or undefined. @param {Uint8Array} bytes */
export function imageType(bytes) {
  const found = SIGNATURES.find(([, magic]) => magic.every((byte, i) => bytes[i] === byte));
  return found?.[0];
}

/** A small PNG of the user's initial on a colour of their own. @param {string} userId */
export async function doodle(userId) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d');
  const hue = [...userId].reduce((sum, c) => sum + c.charCodeAt(0) * 47, 0) % 360;
  g.fillStyle = `hsl(${hue} 70% 55%)`;
  g.beginPath();
  g.arc(32, 32, 30, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = 'white';
  g.font = 'bold 34px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText((userId[0] ?? '?').toUpperCase(), 32, 34);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  return new Uint8Array(await blob.arrayBuffer());
}
