/* cmd_prov: the subcommands of the provisioning groups (one cmd_*.c per
 * group, over the engine in prov.h). */
#ifndef WARD_TOOLS_WARDCTL_CMD_PROV_H
#define WARD_TOOLS_WARDCTL_CMD_PROV_H

struct wardctl;

int cmd_profile_add(struct wardctl *ctx, int argc, char **argv);
int cmd_profile_set(struct wardctl *ctx, int argc, char **argv);
int cmd_profile_show(struct wardctl *ctx, int argc, char **argv);
int cmd_profile_list(struct wardctl *ctx, int argc, char **argv);
int cmd_profile_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_trunk_profile_add(struct wardctl *ctx, int argc, char **argv);
int cmd_trunk_profile_set(struct wardctl *ctx, int argc, char **argv);
int cmd_trunk_profile_show(struct wardctl *ctx, int argc, char **argv);
int cmd_trunk_profile_list(struct wardctl *ctx, int argc, char **argv);
int cmd_trunk_profile_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_device_add(struct wardctl *ctx, int argc, char **argv);
int cmd_device_set(struct wardctl *ctx, int argc, char **argv);
int cmd_device_mic(struct wardctl *ctx, int argc, char **argv);
int cmd_device_show(struct wardctl *ctx, int argc, char **argv);
int cmd_device_list(struct wardctl *ctx, int argc, char **argv);
int cmd_device_status(struct wardctl *ctx, int argc, char **argv);
int cmd_device_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_device_import(struct wardctl *ctx, int argc, char **argv);
int cmd_user_add(struct wardctl *ctx, int argc, char **argv);
int cmd_user_set(struct wardctl *ctx, int argc, char **argv);
int cmd_user_show(struct wardctl *ctx, int argc, char **argv);
int cmd_user_list(struct wardctl *ctx, int argc, char **argv);
int cmd_user_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_user_import(struct wardctl *ctx, int argc, char **argv);
int cmd_app_user_add(struct wardctl *ctx, int argc, char **argv);
int cmd_app_user_set(struct wardctl *ctx, int argc, char **argv);
int cmd_app_user_show(struct wardctl *ctx, int argc, char **argv);
int cmd_app_user_list(struct wardctl *ctx, int argc, char **argv);
int cmd_app_user_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_realm_add(struct wardctl *ctx, int argc, char **argv);
int cmd_realm_set(struct wardctl *ctx, int argc, char **argv);
int cmd_realm_show(struct wardctl *ctx, int argc, char **argv);
int cmd_realm_list(struct wardctl *ctx, int argc, char **argv);
int cmd_realm_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_node_group_add(struct wardctl *ctx, int argc, char **argv);
int cmd_node_group_set(struct wardctl *ctx, int argc, char **argv);
int cmd_node_group_show(struct wardctl *ctx, int argc, char **argv);
int cmd_node_group_list(struct wardctl *ctx, int argc, char **argv);
int cmd_node_group_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_srst_add(struct wardctl *ctx, int argc, char **argv);
int cmd_srst_set(struct wardctl *ctx, int argc, char **argv);
int cmd_srst_show(struct wardctl *ctx, int argc, char **argv);
int cmd_srst_list(struct wardctl *ctx, int argc, char **argv);
int cmd_srst_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_partition_add(struct wardctl *ctx, int argc, char **argv);
int cmd_partition_set(struct wardctl *ctx, int argc, char **argv);
int cmd_partition_show(struct wardctl *ctx, int argc, char **argv);
int cmd_partition_list(struct wardctl *ctx, int argc, char **argv);
int cmd_partition_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_css_add(struct wardctl *ctx, int argc, char **argv);
int cmd_css_set(struct wardctl *ctx, int argc, char **argv);
int cmd_css_show(struct wardctl *ctx, int argc, char **argv);
int cmd_css_list(struct wardctl *ctx, int argc, char **argv);
int cmd_css_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_route_pattern_add(struct wardctl *ctx, int argc, char **argv);
int cmd_route_pattern_set(struct wardctl *ctx, int argc, char **argv);
int cmd_route_pattern_show(struct wardctl *ctx, int argc, char **argv);
int cmd_route_pattern_list(struct wardctl *ctx, int argc, char **argv);
int cmd_route_pattern_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_dial_plan_route(struct wardctl *ctx, int argc, char **argv);
int cmd_presence_group_add(struct wardctl *ctx, int argc, char **argv);
int cmd_presence_group_set(struct wardctl *ctx, int argc, char **argv);
int cmd_presence_group_show(struct wardctl *ctx, int argc, char **argv);
int cmd_presence_group_list(struct wardctl *ctx, int argc, char **argv);
int cmd_presence_group_delete(struct wardctl *ctx, int argc, char **argv);

#endif
