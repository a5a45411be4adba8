package dev.tradestream.kube;

import java.io.File;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.client.deployment.ClusterSpecification;
import org.apache.flink.client.deployment.application.ApplicationConfiguration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.kubernetes.KubernetesClusterClientFactory;
import org.apache.flink.kubernetes.KubernetesClusterDescriptor;
import org.apache.flink.kubernetes.artifact.DefaultKubernetesArtifactUploader;
import org.apache.flink.kubernetes.configuration.KubernetesConfigOptions;
import org.apache.flink.kubernetes.entrypoint.KubernetesWorkerResourceSpecFactory;
import org.apache.flink.kubernetes.kubeclient.FlinkKubeClient;
import org.apache.flink.kubernetes.kubeclient.FlinkKubeClientFactory;
import org.apache.flink.kubernetes.kubeclient.Endpoint;
import org.apache.flink.kubernetes.kubeclient.FlinkPod;
import org.apache.flink.kubernetes.kubeclient.KubernetesJobManagerSpecification;
import org.apache.flink.kubernetes.kubeclient.factory.KubernetesTaskManagerFactory;
import org.apache.flink.kubernetes.kubeclient.parameters.KubernetesTaskManagerParameters;
import org.apache.flink.kubernetes.shaded.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.kubernetes.shaded.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.kubernetes.shaded.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.kubernetes.shaded.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.api.model.Pod;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.api.model.PodBuilder;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.api.model.PodTemplateSpec;
import org.apache.flink.kubernetes.shaded.io.fabric8.kubernetes.client.utils.Serialization;
import org.apache.flink.kubernetes.utils.Constants;
import org.apache.flink.kubernetes.utils.KubernetesUtils;
import org.apache.flink.runtime.clusterframework.BootstrapTools;
import org.apache.flink.runtime.clusterframework.ContaineredTaskManagerParameters;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.externalresource.ExternalResourceUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * Prints the JobManager and TaskManager pods a FlinkDeployment (application mode) becomes on a cluster, as JSON:
 * {"jobmanager": Pod, "taskmanager": Pod}.
 *
 * <p>The pods are built by Flink's own factories: KubernetesJobManagerFactory (which the operator calls through
 * Flink's KubernetesClusterDescriptor) and KubernetesTaskManagerFactory (which the JobManager calls for each
 * TaskManager). The operator's own share, turning the FlinkDeployment into Flink configuration and pod template
 * files, is redone here in a few lines for the fields the charts use, because the Flink Kubernetes Operator 1.15
 * is not on Maven Central.
 *
 * <p>Usage: FlinkPods FLINKDEPLOYMENT.json WORKDIR (the pod template files go to WORKDIR).
 */
public final class FlinkPods {
  private static final ObjectMapper JSON = Serialization.jsonMapper();

  public static void main(String[] args) throws Exception {
    JsonNode deployment = JSON.readTree(new File(args[0]));
    Path work = Path.of(args[1]);
    JsonNode spec = deployment.path("spec");
    String name = deployment.path("metadata").path("name").asText();

    Configuration conf = new Configuration();
    spec.path("flinkConfiguration").fields().forEachRemaining(e -> conf.setString(e.getKey(), e.getValue().asText()));
    conf.set(DeploymentOptions.TARGET, "kubernetes-application");
    conf.set(KubernetesConfigOptions.CLUSTER_ID, name);
    conf.set(KubernetesConfigOptions.NAMESPACE, deployment.path("metadata").path("namespace").asText("default"));
    conf.set(KubernetesConfigOptions.CONTAINER_IMAGE, spec.path("image").asText());
    conf.set(
        KubernetesConfigOptions.CONTAINER_IMAGE_PULL_POLICY,
        KubernetesConfigOptions.ImagePullPolicy.valueOf(spec.path("imagePullPolicy").asText("IfNotPresent")));
    conf.set(KubernetesConfigOptions.KUBERNETES_SERVICE_ACCOUNT, spec.path("serviceAccount").asText());
    JsonNode jm = spec.path("jobManager");
    JsonNode tm = spec.path("taskManager");
    conf.set(JobManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse(jm.path("resource").path("memory").asText()));
    conf.set(KubernetesConfigOptions.JOB_MANAGER_CPU, jm.path("resource").path("cpu").asDouble());
    conf.set(KubernetesConfigOptions.KUBERNETES_JOBMANAGER_REPLICAS, jm.path("replicas").asInt(1));
    conf.set(TaskManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse(tm.path("resource").path("memory").asText()));
    conf.set(KubernetesConfigOptions.TASK_MANAGER_CPU, tm.path("resource").path("cpu").asDouble());
    JsonNode job = spec.path("job");
    conf.set(PipelineOptions.JARS, List.of(job.path("jarURI").asText()));
    List<String> programArgs = new ArrayList<>();
    job.path("args").forEach(a -> programArgs.add(a.asText()));
    conf.set(ApplicationConfiguration.APPLICATION_ARGS, programArgs);
    conf.set(CoreOptions.DEFAULT_PARALLELISM, job.path("parallelism").asInt(1));

    // The operator's pod templates: the common one with the role's own merged in, written to the files Flink reads.
    File jmTemplate = writeTemplate(work, "jobmanager", merged(spec.path("podTemplate"), jm.path("podTemplate")));
    File tmTemplate = writeTemplate(work, "taskmanager", merged(spec.path("podTemplate"), tm.path("podTemplate")));
    conf.set(KubernetesConfigOptions.JOB_MANAGER_POD_TEMPLATE, jmTemplate.getPath());
    conf.set(KubernetesConfigOptions.TASK_MANAGER_POD_TEMPLATE, tmTemplate.getPath());

    ClusterSpecification cluster = new KubernetesClusterClientFactory().getClusterSpecification(conf);
    KubernetesJobManagerSpecification jmSpec = deployApplicationCluster(conf, cluster);
    PodTemplateSpec jmTemplateSpec = jmSpec.getDeployment().getSpec().getTemplate();
    // What the Deployment's ReplicaSet would create: the template as a Pod, named as a ReplicaSet names them.
    Pod jobManager =
        new PodBuilder()
            .withMetadata(jmTemplateSpec.getMetadata())
            .editMetadata()
            .withGenerateName(name + "-")
            .endMetadata()
            .withSpec(jmTemplateSpec.getSpec())
            .build();

    try (FlinkKubeClient client = FlinkKubeClientFactory.getInstance().fromConfiguration(conf, "flink-pods")) {
      // As the JobManager's resource manager (KubernetesResourceManagerDriver) builds each TaskManager pod.
      TaskExecutorProcessSpec process =
          TaskExecutorProcessUtils.processSpecFromWorkerResourceSpec(
              conf, KubernetesWorkerResourceSpecFactory.INSTANCE.createDefaultWorkerResourceSpec(conf));
      String podName = name + "-taskmanager-1-1";
      Configuration tmConf = new Configuration(conf);
      tmConf.set(TaskManagerOptions.TASK_MANAGER_RESOURCE_ID, podName);
      KubernetesTaskManagerParameters tmParameters =
          new KubernetesTaskManagerParameters(
              conf,
              podName,
              BootstrapTools.getDynamicPropertiesAsString(conf, tmConf),
              ProcessMemoryUtils.generateJvmParametersStr(process),
              ContaineredTaskManagerParameters.create(conf, process),
              ExternalResourceUtils.getExternalResourceConfigurationKeys(
                  conf, KubernetesConfigOptions.EXTERNAL_RESOURCE_KUBERNETES_CONFIG_KEY_SUFFIX),
              Set.of()); // no blocked nodes
      FlinkPod tmPod = KubernetesUtils.loadPodFromTemplateFile(client, tmTemplate, Constants.MAIN_CONTAINER_NAME);
      Pod taskManager =
          KubernetesTaskManagerFactory.buildTaskManagerKubernetesPod(tmPod, tmParameters).getInternalResource();

      ObjectNode out = JSON.createObjectNode();
      out.set("jobmanager", JSON.valueToTree(jobManager));
      out.set("taskmanager", JSON.valueToTree(taskManager));
      System.out.println(JSON.writeValueAsString(out));
    }
  }

  /**
   * Runs Flink's KubernetesClusterDescriptor.deployApplicationCluster, as the operator does for an application
   * deployment, with a Kubernetes client that keeps the JobManager specification instead of creating it: the
   * descriptor sets the ports, HA and entrypoint configuration, loads the pod template and calls the factory.
   */
  private static KubernetesJobManagerSpecification deployApplicationCluster(
      Configuration conf, ClusterSpecification cluster) throws Exception {
    FlinkKubeClient parser = FlinkKubeClientFactory.getInstance().fromConfiguration(conf, "flink-pods");
    AtomicReference<KubernetesJobManagerSpecification> created = new AtomicReference<>();
    FlinkKubeClient capturing =
        (FlinkKubeClient)
            Proxy.newProxyInstance(
                FlinkKubeClient.class.getClassLoader(),
                new Class<?>[] {FlinkKubeClient.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "loadPodFromTemplateFile" -> method.invoke(parser, args);
                      case "getService" -> Optional.empty(); // no cluster of that name exists yet
                      case "createJobManagerComponent" -> {
                        created.set((KubernetesJobManagerSpecification) args[0]);
                        yield null;
                      }
                      case "getRestEndpoint" -> Optional.of(new Endpoint("127.0.0.1", 8081));
                      case "close", "stopAndCleanupCluster" -> null;
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
    FlinkKubeClientFactory factory =
        new FlinkKubeClientFactory() {
          @Override
          public FlinkKubeClient fromConfiguration(Configuration c, String useCase) {
            return capturing;
          }
        };
    try (KubernetesClusterDescriptor descriptor =
        new KubernetesClusterDescriptor(conf, factory, new DefaultKubernetesArtifactUploader())) {
      descriptor.deployApplicationCluster(cluster, ApplicationConfiguration.fromConfiguration(conf)).getClusterClient().close();
    } finally {
      parser.close();
    }
    return created.get();
  }

  private static File writeTemplate(Path work, String role, JsonNode template) throws Exception {
    Path file = work.resolve(role + "-pod-template.json");
    Files.writeString(file, JSON.writeValueAsString(template));
    return file.toFile();
  }

  /**
   * The role's template merged into the common one, as the operator merges them by default: objects field by
   * field, lists element by element at the same index, anything else replaced.
   */
  static JsonNode merged(JsonNode common, JsonNode role) {
    JsonNode base = common.isMissingNode() ? JSON.createObjectNode() : common.deepCopy();
    return role.isMissingNode() ? base : merge(base, role);
  }

  private static JsonNode merge(JsonNode base, JsonNode over) {
    if (base.isObject() && over.isObject()) {
      ObjectNode target = (ObjectNode) base;
      over.fields().forEachRemaining(e -> {
        JsonNode existing = target.get(e.getKey());
        target.set(e.getKey(), existing == null ? e.getValue() : merge(existing, e.getValue()));
      });
      return target;
    }
    if (base.isArray() && over.isArray()) {
      ArrayNode target = (ArrayNode) base;
      for (int i = 0; i < over.size(); i++) {
        if (i < target.size()) target.set(i, merge(target.get(i), over.get(i)));
        else target.add(over.get(i));
      }
      return target;
    }
    return over;
  }
}
