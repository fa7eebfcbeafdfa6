// @ts-nocheck
// One seed per run, printed so a failure can be replayed with FC_SEED=<seed>.
export const seed = Number(process.env["FC_SEED"] ?? Date.now() % 2 ** 31);
console.log(`fast-check seed ${seed} (replay with FC_SEED=${seed})`);
