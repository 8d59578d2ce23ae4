package dev.openbatch.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class CoreHasNoAwsDependencyTest {

    @Test
    void core_dependsOnNoAwsPackage() {
        JavaClasses core = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.openbatch.core");

        noClasses()
                .that()
                .resideInAPackage("dev.openbatch.core..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("software.amazon..", "com.amazonaws..")
                .because("the core is the domain; S3, DynamoDB, SQS and Lambda live in adapters")
                .check(core);
    }
}
