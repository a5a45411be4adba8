/** `npm run corpus`: writes the strict-decoding corpus of every profile for the Java decoder's test. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CORPUS_DIR, corpus, corpusFile } from './corpus.ts';
import { PROFILE_NAMES } from './profiles.ts';

mkdirSync(CORPUS_DIR, { recursive: true });
for (const profile of PROFILE_NAMES) {
  const file = new URL(`${profile}.json`, CORPUS_DIR);
  writeFileSync(file, corpusFile(profile));
  console.log(`${fileURLToPath(file)}: ${corpus(profile).length} cases`);
}
