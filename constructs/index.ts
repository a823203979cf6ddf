/**
 * backup-constructs: the public API. Constructs from this folder, value objects and the
 * site model's types from lib/.
 */
export { BackupSite, BackupSiteProps } from './backup-site';
export { SiteBackend, KubernetesBackendConfig } from './site-backend';
export { Host, HostProps, HostFile, HostInstall } from './host';
export { PveHost, PveHostProps } from './pve-host';
export { PveStorage, PveStorageProps, PveStorageType } from './pve-storage';
export { NfsMount, NfsMountProps } from './nfs-mount';
export { Guest, GuestProps } from './guest';
export { VzdumpJob, VzdumpJobProps, VzdumpMode, VzdumpCompress, VzdumpNotification, VzdumpTierPreset } from './vzdump-job';
export { ExternalBackup, ExternalBackupProps } from './external-backup';
export { HostJobStep, ScheduledHostJob, ScheduledHostJobProps } from './scheduled-host-job';
export { AppDumpCronJob, AppDumpCronJobProps, ContainerResources } from './app-dump-cron-job';
export { NfsVolume, NfsVolumeProps } from './nfs-volume';
export { Pushgateway, PushgatewayProps, PushgatewayPersistence, ExistingPushgatewayProps } from './pushgateway';
export { DumpEngine, DumpEngineKind, DEFAULT_DUMP_IMAGES, PostgresqlOptions, PostgresqlPerDatabaseOptions, MysqlOptions, MysqlPerDatabaseOptions, EtcdOptions, EtcdCertificates, VaultRaftOptions, RedisOptions, SqliteOptions, SqliteExtraFileOptions, SqliteIntegrityCheckOptions, CommandOptions } from '../lib/dump-engine';
export { SecretRef } from '../lib/k8s/secret-ref';
export { BackupVolume, ExistingClaimOptions } from '../lib/k8s/backup-volume';
export { PodPlacement } from '../lib/k8s/dump-cron-job';
export { RestorePod, RestorePodMount, RestorePodOverrides } from '../lib/k8s/restore-pod';
export { LvmSnapshotTimer, LvmSnapshotTimerProps } from './lvm-snapshot-timer';
export { FileBackup, FileBackupProps, FileBackupPvcOptions, FileBackupSqliteOptions, FileBackupPfsenseOptions, FileBackupPveConfigOptions, FileBackupSnapshotPruneOptions } from './file-backup';
export { NfsChangeTracker, NfsChangeTrackerProps } from './nfs-change-tracker';
export { NfsMirror, NfsMirrorProps } from './nfs-mirror';
export { OffsiteSync, OffsiteSyncProps, OffsiteTarget, OffsiteSyncStep2, BackupDiskWriter } from './offsite-sync';
export { BypassList, BypassRoot, NfsLeg } from '../lib/bypass-list';
export { OffsiteManifest, OffsiteManifestOptions } from '../lib/offsite-manifest';
export { HostJobOptions } from '../lib/host-job-options';
export { RestoreDrill, RestoreDrillProps, RESTORE_DRILL_TAG } from './restore-drill';
export { VzdumpPrune, VzdumpPruneProps } from './vzdump-prune';
export { ComposeAppBackup, ComposeAppBackupProps, ComposeAppBackupCommonProps, AppBackupPart } from './compose-app-backup';
export { ClientStandardSite, ClientStandardSiteProps, ClientStandardGuest, CLIENT_STANDARD_MIN_KEEP } from './client-standard-site';
export { Borgmatic, BorgmaticProps, BorgPassphrase, BorgmaticCheck, BorgmaticLayout, BorgmaticMysqlDatabase, BorgmaticPostgresDatabase } from './borgmatic';
export { PbsDatastoreJobs, PbsDatastoreJobsProps, PbsVerifyJob, PbsPruneJob } from './pbs-datastore-jobs';
export { BackupStatus, BackupStatusProps, StatusNotify } from './backup-status';
export { BackupDashboard, BackupDashboardProps } from './backup-dashboard';
export { NasCapacity, NasCapacityProps } from './nas-capacity';
export { SynologySnapshotRetention, SynologySnapshotRetentionProps, SudoPasswordSource } from './synology-snapshot-retention';
export { BackupAlertRules, BackupAlertRulesProps, AlertDelivery } from './backup-alert-rules';
export { DeliveryMode } from './private/host-delivery';
export { siteModelOf } from './private/site-anchor';

export { Schedule, ScheduleFields, ScheduledRun, NextRunsOptions, Weekday } from '../lib/schedule';
export { Retention, RetentionProps } from '../lib/retention';
export { Duration } from '../lib/duration';
export { Size } from '../lib/size';
export { MetricsSink } from '../lib/metrics-sink';
export { BackupMetric, pushgatewayPath, seriesLabels, textfileName, SeriesIdentity } from '../lib/metrics';
export { BackupConfigError, Problem } from '../lib/errors';
export { SiteModel, SiteSettings, MetricsSinkConfig } from '../lib/model/site-model';
export * from '../lib/model/types';
export * from '../lib/model/vocabulary';
export { renderReviewTree, ReviewFile } from '../lib/review/review-tree';
export { PolicyPack, PolicyRule, PolicyContext, WaiverRecord, evaluatePolicies } from '../lib/policy/policy';
export { clientStandardPolicyPack, ClientStandardPolicyOptions } from '../lib/policy/client-standard-pack';
export { DEFAULT_POLICY_PACK, threeTwoOne, ordering, contention, staleThresholds, monitored } from '../lib/policy/default-pack';
