/**
 * How a Node client (the producer, the local stack's admin, the alert and dead-letter readers) connects to Kafka:
 * the brokers and, with sasl_ssl, SCRAM-SHA-512 over TLS with the brokers' certificates verified against the
 * config's CA (host names included). The password is read from the environment when the client is made, so it is
 * never a config value, a manifest's literal or a log field. The Flink job gets the same four settings as SQL
 * placeholders (src/pipeline/flink-sql.ts kafkaClientOptions).
 */
import { readFileSync } from 'node:fs';
import type { KafkaConfig } from 'kafkajs';
import { ConfigError } from './load.ts';
import type { PipelineConfig } from './schema.ts';

/** The SCRAM password's variable: set from the client's KafkaUser Secret on Kubernetes, by the local stack here. */
export const KAFKA_PASSWORD_ENV = 'KAFKA_PASSWORD';
/** The one SASL mechanism the brokers accept. */
export const KAFKA_SASL_MECHANISM = 'SCRAM-SHA-512';

/** A Java client's JAAS line for a SCRAM user (the password in "": generated passwords are alphanumeric). */
export function scramJaasConfig(username: string, password: string): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;
}

export type KafkaConnection = Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;

/** kafkajs connection options for the config's brokers and security; a ConfigError names what is missing. */
export function kafkaConnection(
  kafka: Pick<PipelineConfig['kafka'], 'brokers' | 'securityProtocol' | 'caFile' | 'username'>,
  env: NodeJS.ProcessEnv = process.env,
): KafkaConnection {
  if (kafka.securityProtocol === 'plaintext') return { brokers: kafka.brokers };
  const { caFile, username } = kafka;
  if (!caFile)
    throw new ConfigError(
      'invalid config kafka.caFile: required with kafka.securityProtocol=sasl_ssl (env KAFKA_CA_FILE)',
    );
  if (!username)
    throw new ConfigError(
      'invalid config kafka.username: required with kafka.securityProtocol=sasl_ssl (env KAFKA_USERNAME)',
    );
  const password = env[KAFKA_PASSWORD_ENV];
  if (!password)
    throw new ConfigError(
      `${KAFKA_PASSWORD_ENV} is not set: kafka.securityProtocol=sasl_ssl needs the SCRAM password of ${username}`,
    );
  let ca: Buffer;
  try {
    ca = readFileSync(caFile);
  } catch (error) {
    throw new ConfigError(
      `invalid config kafka.caFile: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  return {
    brokers: kafka.brokers,
    ssl: { ca: [ca], rejectUnauthorized: true },
    sasl: { mechanism: 'scram-sha-512', username, password },
  };
}
