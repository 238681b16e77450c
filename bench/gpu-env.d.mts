export declare function swiftshaderEnv(env?: NodeJS.ProcessEnv): Record<string, string>;
