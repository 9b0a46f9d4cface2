use super::support::{lines, lint};

const ID: &str = "dev-dependencies-in-final-stage";

#[test]
fn fires_on_full_installs_in_the_final_image() {
    assert_eq!(
        lint(ID, "FROM node:20\nCOPY package*.json ./\nRUN npm ci\n"),
        [(3, 5, "Dependencies are installed with devDependencies in the final stage".to_owned())]
    );
    assert_eq!(lines(ID, "FROM node:20\nRUN yarn install --frozen-lockfile\nRUN pnpm i\nRUN yarn\n"), [2, 3, 4]);
    assert_eq!(lines(ID, "FROM node:20 AS base\nRUN npm install\nFROM base\nCMD [\"node\", \"a.js\"]\n"), [2]);
    assert_eq!(lines(ID, "FROM node:20\nRUN npm ci --omit=optional\n"), [2]);
}

#[test]
fn production_installs_build_stages_and_prunes_are_fine() {
    let ok = [
        "FROM node:20\nRUN npm ci --omit=dev\n",
        "FROM node:20\nRUN npm ci --omit dev\n",
        "FROM node:20\nRUN npm install --production\n",
        "FROM node:20\nRUN npm ci --only=production\n",
        "FROM node:20\nRUN yarn install --production --frozen-lockfile\n",
        "FROM node:20\nRUN pnpm install --prod\n",
        "FROM node:20\nRUN pnpm install -P\n",
        "FROM node:20\nENV NODE_ENV=production\nRUN npm ci\n",
        "FROM node:20\nARG NODE_ENV=production\nRUN npm ci\n",
        "FROM node:20\nRUN NODE_ENV=production npm ci\n",
        "FROM node:20\nRUN export NODE_ENV=production && npm ci\n",
        "FROM node:20\nRUN npm ci && npm run build && npm prune --omit=dev\n",
        "FROM node:20 AS build\nRUN npm ci && npm run build\nFROM node:20-slim\nCOPY --from=build /app/dist ./dist\n",
        "FROM node:20\nRUN npm install -g pm2 && yarn --version\n",
    ];
    for src in ok {
        assert!(lines(ID, src).is_empty(), "{src}");
    }
}
