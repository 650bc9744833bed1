package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaIoTest {
    @Test
    void exactlyOnceSinksShouldLingerLongerThanAtLeastOnceSinks() throws Exception {
        Properties exactlyOnce = KafkaIo.producerProperties(JobConfig.fromArgs());
        assertThat(exactlyOnce.getProperty("linger.ms")).isEqualTo("50");
        assertThat(exactlyOnce.getProperty("batch.size")).isEqualTo("65536");

        Properties atLeastOnce =
                KafkaIo.producerProperties(JobConfig.fromArgs("--delivery", "at-least-once"));
        assertThat(atLeastOnce.getProperty("linger.ms")).isEqualTo("5");
    }

    @Test
    void theUsersProducerSettingsShouldWinOverTheDefaults() throws Exception {
        for (String delivery : new String[] {"exactly-once", "at-least-once"}) {
            Properties producer =
                    KafkaIo.producerProperties(
                            JobConfig.fromArgs(
                                    "--delivery",
                                    delivery,
                                    "--kafka.linger.ms",
                                    "7",
                                    "--kafka.batch.size",
                                    "1024"));
            assertThat(producer.getProperty("linger.ms")).as(delivery).isEqualTo("7");
            assertThat(producer.getProperty("batch.size")).as(delivery).isEqualTo("1024");
        }
    }

    @Test
    void everyRequestShouldBeBoundedByTheLargestRecordTheJobWrites() throws Exception {
        JobConfig config = JobConfig.fromArgs("--kafka.max.request.size", "999999999");
        assertThat(KafkaIo.producerProperties(config).getProperty("max.request.size"))
                .isEqualTo(String.valueOf(config.outputMaxRecordBytes()));
    }
}
