/** Species classification. The baseline is k-means on intensity; DAST (3D Zernike moments + graph attention) is exported from ./dast. */
export { classifyKMeans, kmeans1D, checkInside } from './kmeans';
export type { KMeansClassifyOptions, KMeans1D } from './kmeans';
// DAST: export from './dast' here once kernel-lib/src/classify/dast/ lands (owned by the DAST author).
