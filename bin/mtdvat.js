#!/usr/bin/env node
// The bundled CLI (see rolldown.config.mjs); `npm run build` makes it.
import '../dist/bundle/mtdvat.mjs';
