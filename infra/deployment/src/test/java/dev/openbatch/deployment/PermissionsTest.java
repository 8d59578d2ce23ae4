package dev.openbatch.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PermissionsTest {

    @Test
    void everyRole_hasStatements_namingEachActionWithoutWildcard() {
        Permissions deployed = Permissions.deployed();
        for (Permissions.Role role : Permissions.Role.values()) {
            assertThat(deployed.of(role))
                    .as(role.name())
                    .isNotEmpty()
                    .allSatisfy(statement -> assertThat(statement.actions())
                            .isNotEmpty()
                            .allMatch(a -> a.matches("[a-z0-9]+:[A-Za-z]+")));
        }
    }

    @Test
    void theValidator_mayDeleteTheChunksItWrites() {
        assertThat(Permissions.deployed().of(Permissions.Role.VALIDATE))
                .contains(Permissions.allow(
                        Permissions.objects(Permissions.Bucket.DATA, Permissions.BATCHES),
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject"));
    }

    @Test
    void without_removesOneActionOnOneResource_andKeepsTheStatementsOtherActions() {
        Permissions.Resource batches = Permissions.objects(Permissions.Bucket.DATA, Permissions.BATCHES);
        Permissions less = Permissions.deployed().without(Permissions.Role.VALIDATE, "s3:DeleteObject", batches);

        assertThat(less.of(Permissions.Role.VALIDATE))
                .contains(Permissions.allow(batches, "s3:GetObject", "s3:PutObject"))
                .noneMatch(s -> s.resource().equals(batches) && s.actions().contains("s3:DeleteObject"));
        assertThat(less.of(Permissions.Role.WORKER))
                .isEqualTo(Permissions.deployed().of(Permissions.Role.WORKER));
        assertThatThrownBy(() -> less.without(Permissions.Role.VALIDATE, "s3:DeleteObject", batches))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** docs/permissions.md shows the declaration as it is. */
    @Test
    void thePermissionsPage_showsEachRolesStatements_asDeclared() throws IOException {
        String page = Files.readString(Path.of("../../docs/permissions.md"));
        assertThat(page).contains(Permissions.deployed().markdown());
    }
}
